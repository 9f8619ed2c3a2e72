//! Runnable examples of the session crates, one program per topic (see `examples/*.rs`;
//! each file's first lines say how to run it). This library holds nothing: the crate
//! exists so the examples build and their tests run with the workspace.

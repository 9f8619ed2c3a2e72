//! The cases. Each is an `async fn(Harness)` that panics on failure; the lists below say
//! which group each belongs to.
//!
//! A new case goes in a group of `__cases!` below; a unit test fails while one is missing.

mod client;
mod clock;
mod codec;
mod conflicts;
mod dict;
mod expiry;
mod inventory;
mod keys;
mod lifecycle;
mod server;
mod support;
mod users;

pub use client::*;
pub use clock::*;
pub use codec::*;
pub use conflicts::*;
pub use dict::*;
pub use expiry::*;
pub use inventory::*;
pub use keys::*;
pub use lifecycle::*;
pub use server::*;
pub use users::*;

/// Expands `$mode` (`tests` or `table`) over the cases of one group.
#[doc(hidden)]
#[macro_export]
macro_rules! __cases {
    ($mode:ident common) => {
        $crate::__emit! {$mode common:
            new_session_is_untouched get_empty store_marks_modified pop_returns_value
            pop_default_does_not_modify pop_missing_is_none setdefault_keeps_first_value
            update_sets_values empty_update_still_modifies contains_only_accesses
            values_only_access keys_only_access items_only_access clear_empties_and_keeps_key
            clear_then_save_persists_empty remove_missing_does_not_modify insert_overwrites
            key_order_is_preserved typed_values_round_trip typed_get_of_wrong_type_is_error
            len_and_snapshot
            save_gives_new_session_a_key save_keeps_local_data second_save_updates
            empty_session_saves flush_drops_key_and_data save_after_flush_makes_new_key
            cycle_key_keeps_data cycle_key_loads_first cycle_key_of_new_session
            unknown_key_is_not_adopted save_of_unknown_key_creates_fresh test_cookie_trio
            is_empty_follows_django
            invalid_key_is_replaced empty_key_is_no_key seven_char_key_is_no_key
            eight_char_key_is_kept
            default_expiry_is_cookie_age custom_expiry_seconds custom_expiry_timedelta
            custom_expiry_datetime custom_expiry_reset
            expiry_reset_without_custom_does_not_modify browser_close_with_setting_off
            browser_close_with_setting_on expiry_age_rounds_down
            custom_expiry_is_stored_like_django out_of_range_expiry_is_a_typed_error
            far_future_expiry_round_trips huge_stored_expiry_is_expired
            decode_round_trips decode_failure_is_logged decode_of_signed_non_json_is_none
            decode_of_non_object_is_none foreign_secret_is_no_session
            fallback_secret_reads_old_sessions unicode_values_round_trip
            nested_values_round_trip
        }
    };
    ($mode:ident server) => {
        $crate::__emit! {$mode server:
            exists_after_save exists_false_for_unknown delete_removes delete_missing_is_ok
            flush_deletes_stored cycle_key_deletes_old cycle_key_changes_key
            save_after_concurrent_delete_fails
            store_save_of_missing_is_session_deleted create_never_overwrites
            forced_collision_retries_with_new_key endless_collisions_are_a_typed_error
            cycle_key_failure_keeps_old_session large_value_round_trips
            concurrent_creates_get_distinct_keys concurrent_save_and_delete_are_safe
            hostile_key_path_traversal hostile_key_backslash hostile_key_empty
            hostile_key_seven_chars hostile_key_41_chars hostile_key_upper_case hostile_key_nul
            hostile_key_10_kb hostile_key_overlong_mixed hostile_key_sql
            hostile_key_cache_injection
        }
    };
    ($mode:ident logout_wins) => {
        $crate::__emit! {$mode logout_wins:
            concurrent_delete_is_never_undone
        }
    };
    ($mode:ident conflicts) => {
        $crate::__emit! {$mode conflicts:
            conflicting_save_is_refused a_refused_save_stays_refused store_compare_and_swap
            successive_saves_of_one_request an_unchanged_session_gives_way
            conflicting_save_after_delete_is_session_deleted concurrent_modify_loses_nothing
            without_detection_the_last_save_wins
        }
    };
    ($mode:ident clock) => {
        $crate::__emit! {$mode clock:
            actual_expiry expired_at_exact_boundary default_age_expiry
            save_extends_integer_expiry datetime_expiry_is_absolute
            browser_close_session_lives_cookie_age expired_key_is_not_adopted
            clear_expired_with_nothing_expired
        }
    };
    ($mode:ident clear_expired) => {
        $crate::__emit! {$mode clear_expired:
            clear_expired_counts clear_expired_keeps_live_sessions
        }
    };
    ($mode:ident inventory) => {
        $crate::__emit! {$mode inventory:
            inventory_of_empty_store inventory_lists_every_session_in_batches
            inventory_batches_of_one inventory_listed_keys_load
            inventory_count_follows_creates_and_deletes
        }
    };
    ($mode:ident inventory_clock) => {
        $crate::__emit! {$mode inventory_clock:
            inventory_count_skips_expired
        }
    };
    ($mode:ident users) => {
        $crate::__emit! {$mode users:
            login_records_user_and_cycles_key end_user_sessions_keeps_current
            end_user_sessions_ends_all logged_out_session_is_not_listed
            invalid_user_id_is_refused a_session_extended_after_login_stays_indexed
        }
    };
    ($mode:ident client) => {
        $crate::__emit! {$mode client:
            client_exists_is_false client_key_carries_the_data client_expired_cookie_is_rejected
            client_custom_expiry_is_enforced client_oversized_value_is_typed_error
            client_clear_expired_is_noop
        }
    };
}

/// Emits one `#[test]` per case (`tests`), or a table of [`Case`](crate::Case)s (`table`).
#[doc(hidden)]
#[macro_export]
macro_rules! __emit {
    (tests $group:ident : $($case:ident)*) => {
        $(
            #[test]
            fn $case() {
                $crate::run_case(stringify!($case), __make(), $crate::cases::$case);
            }
        )*
    };
    (table $group:ident : $($case:ident)*) => {
        &[$(
            $crate::Case {
                name: stringify!($case),
                group: stringify!($group),
                run: |h| ::std::boxed::Box::pin($crate::cases::$case(h)),
            }
        ),*]
    };
}

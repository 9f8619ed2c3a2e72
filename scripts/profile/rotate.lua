-- wrk script: rotates over the Cookie header lines of the file given after --.
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
function init(args)
  prepared = {}
  for line in io.lines(args[1]) do
    prepared[#prepared + 1] = wrk.format(nil, nil, { ["Cookie"] = line })
  end
  position = (id * 7919) % #prepared
end
function request()
  position = position % #prepared + 1
  return prepared[position]
end

"""Task runners and pipeline tools read as data; each expands one invocation into Hops."""

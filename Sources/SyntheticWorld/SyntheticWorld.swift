// SyntheticWorld: the built-in visual world (issue 9).

"""The staff home ("Today"): what each role needs at the start of the day, read in a fixed
number of queries whatever the size of the caseload or the length of the history."""

"""operations box: what an operator runs on a set-up device (doctor, factory reset)."""

"""The war slice (issue 15); so far its combat kernel, fitted on CDB90."""

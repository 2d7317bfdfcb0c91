"""Use cases.  Each takes a Session, flushes, and never commits: the caller owns the transaction."""

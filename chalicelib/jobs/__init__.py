"""Lambda functions that no person calls: the schedule and AWS events (SNS)."""

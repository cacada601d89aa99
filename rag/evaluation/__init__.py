"""Evaluation: the set of known answers, the metrics, the runner, reports and the regression gate."""

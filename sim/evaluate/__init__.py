"""Evaluation: observed records, forecasts, scores and baselines, calibration."""

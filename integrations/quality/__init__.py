"""Data-quality checks as plain Python (no Django): address cleansing, duplicate scoring,
anomaly statistics and error hints. The pipeline glue is integrations/services/quality.py."""

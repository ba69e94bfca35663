"""Parsers turn one decoded log record into flat ECS fields."""

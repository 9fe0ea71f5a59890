"""Errors a user can cause, each saying what to fix. Interfaces map them to HTTP codes."""

from __future__ import annotations


class SalesRelayError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, details: object = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class NotFoundError(SalesRelayError):
    status_code = 404


class ConflictError(SalesRelayError):
    status_code = 409


class InvalidInputError(SalesRelayError):
    status_code = 422

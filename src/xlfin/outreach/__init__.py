"""Reaching the customer (SPEC §9): bank import, statements and confirmations, the Outbox and SMTP sending."""

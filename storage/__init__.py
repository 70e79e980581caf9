"""Postgres: the pools, numbered SQL migrations and one repository module per aggregate."""

"""The shop's catalog, sizing, search, customer details and orders: facts from data and code, not the model."""

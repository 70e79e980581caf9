"""The shop's data types (orders, delivery points, products), below the storage that keeps them."""

"""The ground every package stands on: settings, the shop's files and texts loading, logging."""

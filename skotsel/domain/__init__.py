"""The pure core: rules about recurrence, seasons, the task catalogue, organisations and geometry."""

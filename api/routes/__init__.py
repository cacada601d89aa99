"""The API's routes, one module per resource; each builds its router from the settings (for the limits)."""

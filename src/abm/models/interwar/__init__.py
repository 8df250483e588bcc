"""The interwar model (1924-1945). For now: the Weimar Germany slice (``germany``)."""

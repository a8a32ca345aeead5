"""The technician's phone app at /tech: server-rendered pages over the marketplace's verbs."""

"""Which travel model the marketplace plans with: straight line, an OSM street network, or a
road-table service over HTTP with the straight line as its fallback."""

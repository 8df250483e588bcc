"""Spain, 1936-1939: the Popular Front election, the rising, the civil war and its foreign aid."""

"""The engine: a scenario as arrays, the rules of a round, random streams, the round loop,
and the Mesa model that plays the same rules one replication at a time."""

"""The Soviet slice: succession, industry, peasant blocs and famine, purges, Comintern."""

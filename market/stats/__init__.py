"""Statistics for decisions (数据看板): projects, money by source, providers, time to award,
ratings and participation, per street and category over a period; and a public version."""

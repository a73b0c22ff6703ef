"""Past one machine: the shard plan (plan.py: a selection's boots, packed into N balanced,
disjoint shards), the recorded durations it is balanced by (durations.py), what makes two
runs comparable (suite.py: the suite's version and expected/ data), and the merge of shard
result folders into one result tree, judged once (merge.py)."""

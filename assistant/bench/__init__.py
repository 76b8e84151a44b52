"""`aims bench`: the benchmarks that print measured figures, and the helpers they share.

Each benchmark is one module; what more than one needs is public in `common`.
"""

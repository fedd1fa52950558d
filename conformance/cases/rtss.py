"""(cases being written)"""

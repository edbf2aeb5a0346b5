"""makemore playground engine: data, model, training, statistics, sampling.

Plain Python + torch + numpy. Nothing in this package imports Qt.
"""

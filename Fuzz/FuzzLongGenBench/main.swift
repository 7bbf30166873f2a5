import FuzzSupport

FuzzDriver.run(fuzzLongGenBench)

import FuzzSupport

FuzzDriver.run(fuzzServerRequest)

import FuzzSupport

FuzzDriver.run(fuzzGGUF)

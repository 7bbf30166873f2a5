import FuzzSupport

FuzzDriver.run(fuzzChatTemplate)

// Generation module placeholder; see the module's files.

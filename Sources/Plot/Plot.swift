// Plot module placeholder; see the module's files.

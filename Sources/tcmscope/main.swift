import Foundation
import TCMScopeCLI

exit(TCMScope.run(arguments: Array(CommandLine.arguments.dropFirst())))

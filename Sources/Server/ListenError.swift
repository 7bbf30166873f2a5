import Foundation
import NIOCore

/// Why the server could not start listening, in words that name the address and the flag to change
/// (NIO's own errors say `bind(descriptor:ptr:bytes:)` and an errno).
public struct ListenError: Error, CustomStringConvertible {
    public let description: String

    /// The words for `error` from binding `host:port`, or nil when it is not a listening failure.
    init?(_ error: any Error, host: String, port: Int) {
        let address = "\(host):\(port)"
        if let io = error as? IOError {
            switch io.errnoCode {
            case EADDRINUSE:
                description = "cannot listen on \(address): the address is already in use (another program holds the port; choose another with --port)"
            case EACCES:
                description = "cannot listen on \(address): permission denied (ports below 1024 need privileges; choose another with --port)"
            case EADDRNOTAVAIL:
                description = "cannot listen on \(address): no network interface of this machine has the address \(host) (--host)"
            default:
                return nil
            }
        } else if error is SocketAddressError || error is SocketAddressError.UnknownHost {
            description = "cannot listen on \(address): the host name \(host) does not resolve (--host)"
        } else {
            return nil
        }
    }
}

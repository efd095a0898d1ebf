using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace BigGan.Training.Distributed;

/// <summary>What a launcher of local worker processes (torchrun-style, on loopback) needs: a free port and this program.</summary>
public static class LocalLaunch
{
    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago (for MASTER_PORT).</summary>
    public static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>How to start this same program again: the executable and the arguments that come before the program's own
    /// (the entry assembly, when running under the <c>dotnet</c> host).</summary>
    public static (string executable, string[] prefix) CurrentProgram()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var dll = Assembly.GetEntryAssembly()!.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? (process, [dll]) : (process, []);
    }
}

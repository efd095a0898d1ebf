using System.Globalization;

namespace BigGan.Training.Distributed;

/// <summary>
/// Where this process sits in a distributed job, as torchrun describes it: MASTER_ADDR and MASTER_PORT (the
/// rendezvous of rank 0), RANK (0..WORLD_SIZE-1, global), WORLD_SIZE (number of processes) and LOCAL_RANK (index on
/// this machine). The constructor validates; <see cref="FromEnvironment"/> reads and checks the variables.
/// </summary>
public sealed record DistributedEnvironment
{
    public const string MasterAddrVariable = "MASTER_ADDR";
    public const string MasterPortVariable = "MASTER_PORT";
    public const string RankVariable = "RANK";
    public const string WorldSizeVariable = "WORLD_SIZE";
    public const string LocalRankVariable = "LOCAL_RANK";

    public string MasterAddr { get; }
    public int MasterPort { get; }
    public int Rank { get; }
    public int WorldSize { get; }
    /// <summary>Index of this process on its machine (e.g. which GPU to use).</summary>
    public int LocalRank { get; }

    public DistributedEnvironment(string masterAddr, int masterPort, int rank, int worldSize, int? localRank = null)
    {
        if (string.IsNullOrWhiteSpace(masterAddr))
            throw new ArgumentException($"{MasterAddrVariable} (the master address) must not be empty: give the host name or IP of rank 0, e.g. 127.0.0.1", nameof(masterAddr));
        if (masterPort is < 1 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(masterPort), masterPort, $"{MasterPortVariable} (the master port) must be in 1..65535");
        if (worldSize < 1)
            throw new ArgumentOutOfRangeException(nameof(worldSize), worldSize, $"{WorldSizeVariable} (the number of processes) must be at least 1");
        if (rank < 0 || rank >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"{RankVariable} must be in 0..{worldSize - 1} for {WorldSizeVariable}={worldSize}");
        var local = localRank ?? rank;
        if (local < 0 || local >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(localRank), local, $"{LocalRankVariable} must be in 0..{worldSize - 1} for {WorldSizeVariable}={worldSize}");
        MasterAddr = masterAddr.Trim();
        MasterPort = masterPort;
        Rank = rank;
        WorldSize = worldSize;
        LocalRank = local;
    }

    /// <summary>True for the process that hosts the rendezvous store (rank 0).</summary>
    public bool IsMaster => Rank == 0;

    /// <summary>
    /// Reads MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE and LOCAL_RANK (optional: defaults to RANK, right on one
    /// machine) from the process environment, or from <paramref name="getenv"/> when given. A missing or malformed
    /// variable gets an <see cref="ArgumentException"/> naming it and what was expected.
    /// </summary>
    public static DistributedEnvironment FromEnvironment(Func<string, string?>? getenv = null)
    {
        getenv ??= Environment.GetEnvironmentVariable;
        var addr = getenv(MasterAddrVariable);
        if (string.IsNullOrWhiteSpace(addr))
            throw new ArgumentException($"{MasterAddrVariable} is not set: set it to the address of the rank-0 machine (127.0.0.1 on one machine), as torchrun does");
        var port = Integer(getenv, MasterPortVariable, required: true, "a TCP port in 1..65535 where rank 0 listens")!.Value;
        var worldSize = Integer(getenv, WorldSizeVariable, required: true, "the total number of processes, at least 1")!.Value;
        var rank = Integer(getenv, RankVariable, required: true, $"this process's global rank, 0..WORLD_SIZE-1")!.Value;
        var localRank = Integer(getenv, LocalRankVariable, required: false, "this process's index on its machine");
        if (port is < 1 or > 65535)
            throw new ArgumentException($"{MasterPortVariable}={port} is not a valid port: expected 1..65535");
        if (worldSize < 1)
            throw new ArgumentException($"{WorldSizeVariable}={worldSize} is not valid: expected at least 1");
        if (rank < 0 || rank >= worldSize)
            throw new ArgumentException($"{RankVariable}={rank} is out of range for {WorldSizeVariable}={worldSize}: expected 0..{worldSize - 1}");
        if (localRank is { } l && (l < 0 || l >= worldSize))
            throw new ArgumentException($"{LocalRankVariable}={l} is out of range for {WorldSizeVariable}={worldSize}: expected 0..{worldSize - 1}");
        return new DistributedEnvironment(addr, port, rank, worldSize, localRank);
    }

    /// <summary>The torchrun variables describing this process, e.g. for a launcher that starts local workers.</summary>
    public IReadOnlyDictionary<string, string> ToEnvironment() => new Dictionary<string, string>
    {
        [MasterAddrVariable] = MasterAddr,
        [MasterPortVariable] = MasterPort.ToString(CultureInfo.InvariantCulture),
        [RankVariable] = Rank.ToString(CultureInfo.InvariantCulture),
        [WorldSizeVariable] = WorldSize.ToString(CultureInfo.InvariantCulture),
        [LocalRankVariable] = LocalRank.ToString(CultureInfo.InvariantCulture),
    };

    public override string ToString() =>
        $"rank {Rank} of {WorldSize} (local rank {LocalRank}), master {MasterAddr}:{MasterPort}";

    private static int? Integer(Func<string, string?> getenv, string name, bool required, string expected)
    {
        var raw = getenv(name);
        if (string.IsNullOrWhiteSpace(raw))
        {
            if (required) throw new ArgumentException($"{name} is not set: expected {expected}, as torchrun sets it");
            return null;
        }
        if (!int.TryParse(raw.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new ArgumentException($"{name}='{raw}' is not an integer: expected {expected}");
        return v;
    }
}

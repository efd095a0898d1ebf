using System.Globalization;
using System.Runtime.InteropServices;

namespace BigGan.Training.Tests.Support;

/// <summary>
/// Runs a numpy snippet in Debian's /usr/bin/python3 (which has numpy and torch 1.13) as an independent reference.
/// Arrays travel as raw float64 files; the snippet prints its result numbers on stdout.
/// </summary>
internal static class PythonReference
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Runs <paramref name="code"/> with the arrays bound as numpy float64 variables of the given names.</summary>
    public static double[] Run(string code, params (string name, double[] data, long[] shape)[] arrays)
    {
        if (!File.Exists(Python)) throw new InvalidOperationException($"{Python} is missing: numeric cross-checks need Debian's python3 with numpy (scripts/install-deps.sh installs python3-torch)");
        var dir = Directory.CreateTempSubdirectory("biggan-pyref-");
        try
        {
            var prelude = "import numpy as np\n";
            foreach (var (name, data, shape) in arrays)
            {
                var file = Path.Combine(dir.FullName, name + ".bin");
                File.WriteAllBytes(file, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
                prelude += $"{name} = np.fromfile({Quote(file)}, dtype='<f8').reshape({string.Join(",", shape)}{(shape.Length == 1 ? "," : "")})\n";
            }
            var script = Path.Combine(dir.FullName, "ref.py");
            File.WriteAllText(script, prelude + code);
            var (exit, stdout, stderr) = ProcessRunner.Run(Python, [script], TimeSpan.FromMinutes(2));
            if (exit != 0) throw new InvalidOperationException($"python reference failed ({exit}): {stderr.Trim()}");
            return stdout.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)
                .Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static string Quote(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
}

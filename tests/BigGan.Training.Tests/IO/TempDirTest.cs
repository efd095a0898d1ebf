using static BigGan.Training.Tests.IO.IOTestUtil;

namespace BigGan.Training.Tests.IO;

/// <summary>Base of the file-format tests: a fresh temporary folder per test (<c>_dir</c>), removed afterwards.</summary>
public abstract class TempDirTest
{
    protected string _dir = null!;

    [TestInitialize]
    public void MakeDir() => _dir = TempDir();

    [TestCleanup]
    public void RemoveDir() { if (Directory.Exists(_dir)) Directory.Delete(_dir, true); }
}

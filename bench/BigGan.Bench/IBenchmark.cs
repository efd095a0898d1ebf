namespace BigGan.Bench;

/// <summary>One benchmark program: prints JSON lines {"name", "value", "unit"} and never fails a build.</summary>
public interface IBenchmark
{
    string Name { get; }
    int Run(string[] args);
}

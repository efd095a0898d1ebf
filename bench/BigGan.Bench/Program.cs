using System.Reflection;
using BigGan.Bench;

// Dispatches `BigGan.Bench <name> [options]` to the IBenchmark whose Name matches.
var benches = Assembly.GetExecutingAssembly().GetTypes()
    .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && !t.IsAbstract)
    .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
    .ToDictionary(b => b.Name);
if (args.Length == 0 || !benches.TryGetValue(args[0], out var bench))
{
    Console.Error.WriteLine($"usage: BigGan.Bench <{string.Join("|", benches.Keys.Order())}> [options]");
    return 2;
}
return bench.Run(args[1..]);

using static TorchSharp.torch;

namespace BigGan.Training.Model;

/// <summary>A container that only names its children ("0", "1", …), so state-dict keys follow the reference
/// (blocks.3.1.gamma, output_layer.2.weight).</summary>
internal sealed class ModuleGroup() : ExplicitModule(nameof(ModuleGroup))
{
    public T Add<T>(string name, T module) where T : nn.Module => this.RegisterModule(name, module);
}

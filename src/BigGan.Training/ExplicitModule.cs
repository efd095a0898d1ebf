namespace BigGan.Training;

/// <summary>
/// Base of BigGAN.NET's modules. Their parameters, buffers and children are registered explicitly, under the names the
/// reference's state dicts use; TorchSharp's reflection-based RegisterComponents (run when a module becomes a child)
/// would register every field a second time under its C# field name, so it is turned off here.
/// </summary>
public abstract class ExplicitModule(string name) : nn.Module(name)
{
    protected override void RegisterComponents() { }
}

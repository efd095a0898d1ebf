namespace BigGan.Training;

/// <summary>
/// TorchSharp's register_* return nothing; these return what they register, so a layer's constructor reads
/// <c>weight = this.RegisterParameter("weight", ...)</c> as in PyTorch. Parameters and buffers leave the current dispose
/// scope (a Parameter made from a scoped tensor takes its place in the scope): the module owns them from then on.
/// </summary>
public static class ModuleRegistration
{
    public static Parameter RegisterParameter(this nn.Module module, string name, Parameter parameter)
    {
        parameter.DetachFromDisposeScope();
        module.register_parameter(name, parameter);
        return parameter;
    }

    public static Tensor RegisterBuffer(this nn.Module module, string name, Tensor tensor, bool persistent = true)
    {
        tensor.DetachFromDisposeScope();
        module.register_buffer(name, tensor, persistent);
        return tensor;
    }

    public static T RegisterModule<T>(this nn.Module module, string name, T child) where T : nn.Module
    {
        module.register_module(name, child);
        return child;
    }
}

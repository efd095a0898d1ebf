using System.Text.Json.Nodes;
using BigGan.Training.Model;

namespace BigGan.Training.Training;

/// <summary>
/// Everything that defines a run: the model's shape and the training hyperparameters. Saved as config.json in the run
/// folder ({"model": {...}, "train": {...}}) and in every checkpoint's metadata, so `--resume` and sampling rebuild the
/// exact networks.
/// </summary>
public sealed record RunConfig(ModelConfig Model, TrainConfig Train)
{
    public const string FileName = "config.json";

    public RunConfig Validate()
    {
        Model.Validate();
        Train.ThrowIfInvalid();
        return this;
    }

    public string ToJson() => new JsonObject
    {
        ["model"] = JsonNode.Parse(Model.ToJson()),
        ["train"] = JsonNode.Parse(Train.ToJson()),
    }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    /// <summary>Parses a run configuration; <paramref name="source"/> names the origin in error messages.</summary>
    public static RunConfig FromJson(string json, string source = "run configuration")
    {
        JsonObject root;
        try { root = JsonNode.Parse(json)?.AsObject() ?? throw new ArgumentException($"{source} is empty"); }
        catch (System.Text.Json.JsonException e) { throw new ArgumentException($"{source} is not valid JSON: {e.Message}", e); }
        if (root["model"] is not JsonObject model) throw new ArgumentException($"{source} has no \"model\" section");
        if (root["train"] is not JsonObject train) throw new ArgumentException($"{source} has no \"train\" section");
        return new RunConfig(ModelConfig.FromJson(model.ToJsonString()), TrainConfig.FromJson(train.ToJsonString(), source));
    }

    public static RunConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"run configuration not found: {path}", path);
        return FromJson(File.ReadAllText(path), path);
    }

    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());
}

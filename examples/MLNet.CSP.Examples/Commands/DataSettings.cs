using System.ComponentModel;
using Spectre.Console.Cli;

namespace MLNet.CSP.Examples.Commands;

/// <summary>Options shared by train and featurize.</summary>
public class DataSettings : CommandSettings
{
    [CommandOption("--data <DIR>")]
    [Description("Training images, one sub-folder per class (default: the embedded Fashion-MNIST subset's train/).")]
    public string? Data { get; set; }

    [CommandOption("--test <DIR>")]
    [Description("Test images, same layout (default: the embedded subset's test/, or 20% of --data).")]
    public string? Test { get; set; }

    [CommandOption("--per-class <N>")]
    [Description("Use at most N images per class (quick runs).")]
    public int? PerClass { get; set; }

    [CommandOption("--arch <NAME>")]
    [Description("Backbone (see the zoo command).")]
    [DefaultValue("cs3darknet_s")]
    public string Architecture { get; set; } = "cs3darknet_s";

    [CommandOption("--image-size <PIXELS>")]
    [Description("Network input side.")]
    [DefaultValue(32)]
    public int ImageSize { get; set; } = 32;

    [CommandOption("--weights <FILE>")]
    [Description("Start from a checkpoint (.safetensors/.pth), e.g. a published timm checkpoint.")]
    public string? Weights { get; set; }

    [CommandOption("--pretrained")]
    [Description("Start from the architecture's published ImageNet weights (name.tag picks a tag), downloaded once into the Hugging Face cache.")]
    public bool Pretrained { get; set; }

    [CommandOption("--out <DIR>")]
    [Description("Where the model zip and the PNG plots go.")]
    [DefaultValue("output")]
    public string Output { get; set; } = "output";

    [CommandOption("--seed <N>")]
    [DefaultValue(1)]
    public int Seed { get; set; } = 1;
}

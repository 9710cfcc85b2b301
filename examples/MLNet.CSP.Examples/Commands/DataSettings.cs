using System.ComponentModel;
using Spectre.Console.Cli;

namespace MLNet.CSP.Examples.Commands;

/// <summary>Options shared by train and featurize: the image folders and the network.</summary>
public class DataSettings : ImageFolderSettings
{
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
}

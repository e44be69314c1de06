using Platform.EcsSimulator;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddEcsSimulator();
var app = builder.Build();
app.MapEcsSimulator();
await app.RunAsync();

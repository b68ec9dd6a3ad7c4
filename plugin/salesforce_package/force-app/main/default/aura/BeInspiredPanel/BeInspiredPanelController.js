({
    // Pass the record Id to the Canvas app as environment.parameters.recordId. JSON.stringify,
    // not string concatenation, builds the JSON. No record (App Builder preview): no parameters,
    // and the component shows its note instead of loading the Canvas app.
    doInit: function (component) {
        var recordId = component.get("v.recordId");
        if (recordId) {
            component.set("v.canvasParameters", JSON.stringify({ recordId: recordId }));
        }
    }
})
